"""The audit's rules on plain data: ``judge(facts)`` is pure."""

from __future__ import annotations

from audit_facts import MIN, PACK, T0, cluster, node, seed

from orchestrator.audit.judge import judge
from orchestrator.audit.model import PhoneFact, Severity, Unavailable, stamp
from orchestrator.audit.restarts import newest_pack, pack_version


def by_code(result, code):
    return [f for f in result.findings if f.code == code]


def test_seed_story_subscriber_is_pending_and_its_phone_is_away():
    result = judge(seed())
    assert result.exit_code == 1
    assert result.restart_rule == "reboot" and result.pack == PACK
    [pending] = by_code(result, "restart-pending")
    assert pending.node == "sub" and pending.severity is Severity.ERROR
    assert pending.evidence["installed_at"] == stamp(T0 - 120 * MIN)
    assert pending.evidence["callmanager_started_at"] == stamp(T0 - 24 * 60 * MIN + 30)
    assert stamp(T0 - 120 * MIN) in pending.message
    assert pending.remedy.startswith("reboot sub (utils system restart)")
    assert "publisher first" in pending.remedy
    [away] = by_code(result, "phone-not-home")
    assert (away.node, away.evidence["registered_to"]) == ("sub", "pub")
    assert "has not restarted" in away.message


def test_pending_publisher_goes_first_in_the_remedy():
    facts = cluster(
        node("pub", role="publisher", booted=T0 - 24 * 60 * MIN),
        node("sub", booted=T0 - 24 * 60 * MIN),
    )
    remedies = {f.node: f.remedy for f in by_code(judge(facts), "restart-pending")}
    assert remedies["pub"].startswith("reboot pub (utils system restart) first")
    assert "then the other pending nodes (sub)" in remedies["pub"]
    assert "after the publisher pub is back" in remedies["sub"]


def test_callmanager_restarted_without_reboot_on_a_reboot_release_is_a_warning():
    facts = cluster(
        node("pub", role="publisher"),
        node("sub", booted=T0 - 24 * 60 * MIN, cm_start=T0 - 10 * MIN),
    )
    result = judge(facts)
    assert [(f.code, f.node, f.severity) for f in result.findings] == [
        ("reboot-pending", "sub", Severity.WARNING)
    ]


def test_without_control_center_the_boot_time_stands_in():
    facts = seed()
    sub = facts.nodes[1]
    for service in sub.services:
        service.start_time, service.start_source = None, ""
    facts.unavailable.append(Unavailable(source="control-center sub", reason="HTTP 503"))
    result = judge(facts)
    [pending] = by_code(result, "restart-pending")
    assert pending.evidence["start_time_source"] == "boot"
    assert pending.evidence["callmanager_started_at"] == stamp(sub.last_boot)
    [gap] = by_code(result, "source-unavailable")
    assert gap.severity is Severity.INFO and gap.node == "sub"


SERVICES_RELEASE = "12.5.1.14900-63"


def test_service_release_needs_publisher_callmanager_tftp_and_tomcat():
    booted = T0 - 24 * 60 * MIN  # nobody rebooted or restarted since the install
    facts = cluster(
        node("pub", role="publisher", release=SERVICES_RELEASE, booted=booted, tftp=True),
        node("sub", release=SERVICES_RELEASE, booted=booted),
    )
    result = judge(facts)
    assert result.restart_rule == "services"
    found = {(f.code, f.node, f.evidence.get("service"), f.severity) for f in result.findings}
    assert found == {
        ("restart-pending", "pub", "Cisco CallManager", Severity.ERROR),
        ("service-restart-pending", "pub", "Cisco Tftp", Severity.ERROR),
        ("service-restart-pending", "pub", "Cisco Tomcat", Severity.WARNING),
        ("service-restart-pending", "sub", "Cisco Tomcat", Severity.WARNING),
    }  # the subscriber's CallManager learns the models without a restart
    assert "utils service restart Cisco CallManager" in by_code(result, "restart-pending")[0].remedy


def test_service_release_restarted_services_are_clean():
    later = T0 - 30 * MIN
    facts = cluster(
        node(
            "pub",
            role="publisher",
            release=SERVICES_RELEASE,
            booted=T0 - 24 * 60 * MIN,
            tftp=True,
            cm_start=later,
            tftp_start=later,
            tomcat_start=later,
        ),
        node("sub", release=SERVICES_RELEASE, booted=T0 - 24 * 60 * MIN, tomcat_start=later),
    )
    result = judge(facts)
    assert result.findings == [] and result.exit_code == 0


def test_pack_missing_on_one_node_without_playbook_uses_the_newest_pack():
    older = "cmterm-devicepack12.5.1.16900-1.cop"
    facts = cluster(
        node("pub", role="publisher"), node("sub1"), node("sub2", pack=older), playbook=False
    )
    result = judge(facts)
    assert result.pack == PACK and result.pack_source == "newest installed"
    [missing] = by_code(result, "pack-missing")
    assert missing.node == "sub2" and missing.severity is Severity.ERROR
    assert older in missing.message and missing.evidence["installed_on"] == ["pub", "sub1"]


def test_pack_versions_compare_numerically():
    assert pack_version("cmterm-devicepack12.5.1.17123-1.cop") == (12, 5, 1, 17123, 1)
    assert pack_version("ciscocm.enable-sha512sum-2021-signing-key-v1.0.cop") is None
    assert newest_pack(
        [
            node("a", pack="cmterm-devicepack9.1.2.9999-1.cop"),
            node("b", pack="cmterm-devicepack10.5.2.1-1.cop"),
        ]
    ) == ("cmterm-devicepack10.5.2.1-1.cop")


def test_playbook_pack_installed_nowhere_is_a_warning_only():
    facts = cluster(node("pub", role="publisher", pack=None), node("sub", pack=None))
    result = judge(facts)
    assert [(f.code, f.severity) for f in result.findings] == [
        ("pack-not-installed", Severity.WARNING)
    ]


def test_replication_services_and_reachability():
    facts = cluster(
        node("pub", role="publisher", replication=2),
        node("sub1", replication=4),
        node("sub2", replication=None),
        node("sub3"),
    )
    facts.nodes[0].services[0].state = "STOPPED"  # A Cisco DB, activated: down
    facts.nodes[1].services[1].state = "STARTING"  # Tomcat coming up: a warning
    facts.nodes[3].reachable, facts.nodes[3].problem = False, "connection refused"
    found = {(f.code, f.node, f.severity) for f in judge(facts).findings}
    assert found == {
        ("service-down", "pub", Severity.ERROR),
        ("replication-bad", "sub1", Severity.ERROR),
        ("service-starting", "sub1", Severity.WARNING),
        ("replication-unknown", "sub2", Severity.WARNING),
        ("node-unreachable", "sub3", Severity.ERROR),
    }  # Cisco CAR DB (out of service) and the inactive Tftp are not "down"


def test_unreachable_node_remedy_names_what_to_fix_when_known():
    facts = cluster(node("pub", role="publisher"), node("sub1"), node("sub2"))
    facts.nodes[1].reachable, facts.nodes[1].problem = False, "authentication failed"
    facts.nodes[1].problem_hint = "the password is credentials.platform.password in inv.yml"
    facts.nodes[2].reachable, facts.nodes[2].problem = False, "connection refused"
    remedies = {f.node: f.remedy for f in judge(facts).findings if f.code == "node-unreachable"}
    assert remedies["sub1"].startswith("the password is credentials.platform.password")
    assert remedies["sub2"].startswith("check that the node is up")
    assert all(r.endswith("then audit again") for r in remedies.values())


def test_models_missing_from_typemodel_and_defaults():
    facts = cluster(node("pub", role="publisher"))
    facts.expected_models = ["Cisco 8851", "Cisco 8865"]
    facts.typemodel = {"Cisco 8851": 683, "Cisco 9971": 493}
    facts.expected_models.append("Cisco 9971")
    facts.defaults = {683: "sip8851"}
    found = {(f.code, f.severity): f for f in judge(facts).findings}
    assert "Cisco 8865" in found[("model-missing", Severity.ERROR)].message
    assert "Cisco 9971" in found[("defaults-missing", Severity.WARNING)].message


def test_phones_are_grouped_with_full_counts():
    phones = [
        PhoneFact(
            name=f"SEP{i:012d}", model="Cisco 8851", status="Registered", node="sub2", group="G1"
        )
        for i in range(1500)
    ]
    phones += [
        PhoneFact(
            name="SEPR",
            model="Cisco 8851",
            status="Rejected",
            status_reason=3,
            node="sub1",
            group="G1",
        ),
        PhoneFact(name="SEPU", model="Cisco 8851", status="UnRegistered", node="sub1", group="G1"),
    ]
    facts = cluster(
        node("pub", role="publisher"),
        node("sub1"),
        node("sub2"),
        groups={"G1": ["sub1", "sub2"]},
        phones=phones,
    )
    result = judge(facts)
    [away] = by_code(result, "phone-not-home")
    assert away.evidence["count"] == 1500 and len(away.evidence["phones"]) == 20
    assert away.message.startswith(
        "1500 phones (Cisco 8851) are registered to sub2 instead of sub1"
    )
    assert by_code(result, "phone-rejected")[0].severity is Severity.ERROR
    assert by_code(result, "phone-unregistered")[0].severity is Severity.WARNING
    facts.expected_pack = None  # without a playbook an unplugged phone is no news
    assert by_code(judge(facts), "phone-unregistered")[0].severity is Severity.INFO


def test_info_findings_alone_exit_clean():
    facts = cluster(node("pub", role="publisher", installed=None))  # no history line
    result = judge(facts)
    assert [f.code for f in result.findings] == ["no-install-record"]
    assert result.exit_code == 0 and result.verdict == "clean"


def test_a_node_the_inventory_does_not_list_is_a_warning():
    facts = seed()
    facts.unknown_nodes.append("cucmsub9")
    [extra] = by_code(judge(facts), "node-not-in-inventory")
    assert (extra.node, extra.severity) == ("cucmsub9", Severity.WARNING)


def _rejected_by_pending_sub(release: str) -> list:
    """A subscriber still rejecting the pack: its CallManager started before the install."""
    booted = T0 - 24 * 60 * MIN
    phones = [
        PhoneFact(name="SEPR", model="Cisco 8851", status="Rejected", node="sub", group="G1"),
        PhoneFact(name="SEPA", model="Cisco 8851", status="Registered", node="pub", group="G1"),
    ]
    facts = cluster(
        node(
            "pub",
            role="publisher",
            release=release,
            booted=booted,
            cm_start=T0 - 10 * MIN,
            tftp=True,
            tftp_start=T0 - 10 * MIN,
            tomcat_start=T0 - 10 * MIN,
        ),
        node("sub", release=release, booted=booted),
        groups={"G1": ["sub", "pub"]},
        phones=phones,
    )
    return judge(facts).findings


def test_phone_remedies_follow_the_reboot_rule():
    findings = _rejected_by_pending_sub("9.1.2.10000-28")
    codes = {f.code: f for f in findings}
    assert codes["restart-pending"].remedy.startswith("reboot sub (utils system restart)")
    rejected, away = codes["phone-rejected"], codes["phone-not-home"]
    for finding in (rejected, away):
        assert finding.node == "sub"
        assert finding.remedy.startswith("reboot sub (utils system restart), publisher first")
        assert "CallManager" not in finding.remedy and "utils service" not in finding.remedy
    assert rejected.remedy.endswith("then reset the phones")


def test_phone_remedies_follow_the_service_restart_rule():
    booted = T0 - 24 * 60 * MIN
    phones = [PhoneFact(name="SEPR", model="Cisco 8851", status="Rejected", node="pub", group="G1")]
    facts = cluster(
        node("pub", role="publisher", release=SERVICES_RELEASE, booted=booted),
        node("sub", release=SERVICES_RELEASE, booted=booted),
        groups={"G1": ["pub", "sub"]},
        phones=phones,
    )
    [rejected] = by_code(judge(facts), "phone-rejected")
    assert rejected.node == "pub"
    assert rejected.remedy.startswith("on pub: utils service restart Cisco CallManager")
    assert "reboot" not in rejected.remedy and "utils system restart" not in rejected.remedy


def test_rejected_by_a_picked_up_subscriber_on_a_services_release_names_its_restart():
    """11.5(1)SU5+/12.0(1)SU2+: a subscriber whose Tomcat restarted after the install is
    not pending, yet (if the inferred rule fails) its CallManager still rejects the new
    model: the remedy names the CallManager restart on that node."""
    installed = T0 - 120 * MIN
    after = installed + 10 * MIN
    phones = [PhoneFact(name="SEPR", model="Cisco 8851", status="Rejected", node="sub", group="G1")]
    facts = cluster(
        node(
            "pub",
            role="publisher",
            release=SERVICES_RELEASE,
            installed=installed,
            cm_start=after,
            tomcat_start=after,
        ),
        node(
            "sub",
            release=SERVICES_RELEASE,
            installed=installed,
            booted=installed - MIN,
            tomcat_start=after,
        ),
        groups={"G1": ["sub", "pub"]},
        phones=phones,
    )
    result = judge(facts)
    assert not by_code(result, "restart-pending")
    [rejected] = by_code(result, "phone-rejected")
    assert rejected.node == "sub"
    assert rejected.remedy.startswith("on sub: utils service restart Cisco CallManager")


def test_a_replication_check_from_before_a_boot_is_reported_stale():
    facts = cluster(node("pub", role="publisher"), node("sub1", booted=T0 - 10 * MIN))
    # the check shown started before sub1's last boot: its table of 2s proves nothing
    facts.replication_check_started = T0 - 11 * MIN
    facts.replication_check_shown = "2027-01-15 07:49 UTC"
    [stale] = [f for f in judge(facts).findings if f.code == "replication-check-stale"]
    assert stale.severity == Severity.WARNING and stale.node == "pub"
    assert stale.evidence["last_boot_node"] == "sub1" and "utils dbreplication status" in (
        stale.remedy or ""
    )
    # a check from after the boot (or with no start shown) is not reported
    for started in (T0 - 9 * MIN, None):
        facts.replication_check_started = started
        assert not [f for f in judge(facts).findings if f.code == "replication-check-stale"]


LOCALE = "cm-locale-de_DE-14.0.1.1000-1.cop"


def test_every_cop_of_the_playbook_must_be_on_every_node():
    """A locale the playbook installs but one subscriber lacks is an error of its own."""
    pub = node("pub", role="publisher", tftp=True)
    sub = node("sub")
    pub.options.append(LOCALE)
    facts = cluster(pub, sub)
    facts.other_cops = [f"{LOCALE}.sgn"]
    result = judge(facts)
    [missing] = by_code(result, "cop-missing")
    assert (missing.node, missing.severity) == ("sub", Severity.ERROR)
    assert LOCALE in missing.message and "pub has it" in missing.message
    assert missing.evidence["installed_on"] == ["pub"]
    assert result.exit_code == 1
    sub.options.append(LOCALE)
    assert by_code(judge(facts), "cop-missing") == []
