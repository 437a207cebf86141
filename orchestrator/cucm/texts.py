"""Exact texts the CUCM platform CLI prints (reference sections 1-6).

The lab prints these verbatim; the drivers never compare with them for equality but
build tolerant patterns from the stable words (see ``orchestrator.drivers``).
"""

from __future__ import annotations

PROMPT = "admin:"
CRLF = "\r\n"

BANNER = (
    "Command Line Interface is starting up, please wait ...\r\n"
    "\r\n"
    "   Welcome to the Platform Command Line Interface\r\n"
    "\r\n"
    "VMware Installation:\r\n"
    "        2 vCPU: Intel(R) Xeon(R) CPU E5-2630 v3 @ 2.40GHz\r\n"
    "        Disk 1: 80GB, Partitions aligned\r\n"
    "        6144 Mbytes RAM\r\n"
    "\r\n"
)

PAGINATION_OFF = "Automatic pagination is turned off"
PAGER_PROMPT = "Press <enter> for 1 line, <space> for one page, or <q> to quit"
COMMAND_FAILED = "Executed command unsuccessfully"
UNKNOWN_COMMAND = "No valid command entered"  # (inferred wording)

# utils system upgrade initiate. The first warning's wording varies (reference 2 and
# 9.5): 12.5 prints "cancelling", older releases "exiting the upgrade command"; section 2's
# transcript shows "canceling".
UPGRADE_WARNING = "Warning: Do not close this window without first canceling the upgrade."
UPGRADE_WARNING_CANCELLING = (
    "Warning: Do not close this window without first cancelling the upgrade."
)
UPGRADE_WARNING_EXITING = (
    "Warning: Do not close this window without first exiting the upgrade command"
)
UPGRADE_WARNINGS = {
    "canceling": UPGRADE_WARNING,
    "cancelling": UPGRADE_WARNING_CANCELLING,
    "exiting": UPGRADE_WARNING_EXITING,
}
UPGRADE_READINESS_WARNING = (
    "Warning: Before upgrading the cluster Cisco recommends installing the latest Upgrade "
    "Readiness COP file. Refer to the Upgrade Guide on cisco.com for details."
)
USE_PUBLISHER_CREDENTIALS = "Use download credentials from Publisher (yes/no) [yes]:"
SOURCE_MENU_LEGACY = (
    "Source:\r\n\r\n"
    "1) Remote Filesystem via SFTP\r\n"
    "2) Remote Filesystem via FTP\r\n"
    "3) Local DVD/CD\r\n"
    "q) quit\r\n\r\n"
)
SOURCE_MENU_MODERN_LOCAL = "4) Local Image <None>"
SELECT_OPTION = 'Please select an option (1 - {last} or "q" ):'
DIRECTORY = "Directory:"
SERVER = "Server:"
USER_NAME = "User Name:"
PASSWORD = "Password:"
SMTP = "Please enter SMTP Host Server (optional):"
CONTINUE_AFTER_DOWNLOAD = "Continue with upgrade after download (yes/no):"
SWITCH_VERSION = "Switch-version server after upgrade [valid only for ISO] (yes/no):"
CHECKING = "Checking for valid upgrades. Please wait..."
AVAILABLE = 'Available options and upgrades in "{server}:{directory}":'
ACCESSING = "Accessing the file. Please wait..."
VALIDATING = "Validating the file..."
DOWNLOADED_MB = "Downloaded {mb} MB."
CHECKSUMMING = "Checksumming the file..."
DOWNLOADED_FILE = "Downloaded: {file}"
FILE_VERSION = "File version: {version}"
FILE_CHECKSUM = "File checksum: {checksum}"
START_INSTALLATION = "Start installation (yes/no):"
UPGRADE_LOG = "The upgrade log is {log}"
UPGRADING = "Upgrading the system.  Please wait..."
INSTALL_SUCCESS = "Successfully installed {file}"
INSTALL_FAILED = "Installation of {file} failed"
UPGRADE_CANCELED = "The upgrade was canceled."
COP_CANNOT_CANCEL = "Installation of a Cisco Options Package (COP) cannot be canceled."
ANOTHER_SESSION = "Another user session is currently configuring an upgrade."
ASSUME_CONTROL = "Assume control (yes/no):"
ALREADY_IN_PROGRESS = "An upgrade is already in progress."

ERR_SERVER_UNREACHABLE = "The remote server could not be located."
ERR_BAD_CREDENTIALS = "The user name or password is not valid."
ERR_BAD_DIRECTORY = "The directory could not be located."
ERR_NO_VALID_OPTIONS = (
    "The given directory was located and searched but no valid options or upgrades were "
    "available. Note, the system cannot be downgraded so option and upgrade files for "
    "previous releases were ignored."
)
ERR_DISK_SPACE = (
    "There is not enough disk space in the common partition to perform the upgrade. "
    "Please use the Cisco Log Partition Monitoring Tool or the CLI to free disk space."
)
ERR_CHECKSUM = (
    "Checksum of file failed. Upgrade patch may be corrupted or tampered with. Please verify."
)
ERR_INVALID_FILE = "The selected file is not valid."

# show version
ACTIVE_MASTER = "Active Master Version: {version}"
ACTIVE_OPTIONS = "Active Version Installed Software Options:"
INACTIVE_MASTER = "Inactive Master Version: {version}"
INACTIVE_OPTIONS = "Inactive Version Installed Software Options:"
NO_OPTIONS = "No Installed Software Options Found."

# utils system restart
RESTART_WARNING = (
    "     ***   W A R N I N G   ***\r\n"
    "Please make sure database replication setup is complete. Use the command "
    "'utils dbreplication runtimestate' to get the current status.\r\n"
    "If database replication setup is in progress, restarting the server may leave "
    "database replication unable to complete.\r\n"
    "Do you really want to restart ?\r\n"
)
RESTART_CONFIRM = "Enter (yes/no)?"
RESTART_BEGIN = (
    "Appliance is being Restarted ...\r\n"
    "Warning: Restart could take up to 5 minutes.\r\n"
    "Stopping Service Manager...\r\n"
)
GOING_DOWN = "The system is going down for reboot NOW!"
# Other restart banners seen in third-party clients (reference 9.5); which release prints
# which is not known.
RESTART_BEGIN_SERVICE_MANAGER = (
    "Warning: Restart could take up to 5 minutes.\r\n"
    "Shutting down Service Manager. Please wait...\r\n"
)
RESTART_BANNERS = {"appliance": RESTART_BEGIN, "service_manager": RESTART_BEGIN_SERVICE_MANAGER}

# utils service restart NAME
SERVICE_RESTART_NOTICE = (
    " Don't press Ctrl-c while the service is getting RESTARTED.If Service has not "
    "Restarted Properly, execute the same Command Again"
)
SERVICE_MANAGER_RUNNING = "Service Manager is running"

# utils service list
SERVICE_LIST_HEAD = (
    "Requesting service status, please wait...\r\n"
    "System SSH [STARTED]\r\n"
    "Cluster Manager [STARTED]\r\n"
    "Service Manager [STARTED]\r\n"
    "Service Manager is running\r\n"
    "Getting list of all services\r\n"
    ">> Return code = 0\r\n"
)
COMMAND_SUCCESSFUL = "Command successful"

# utils ntp status
NTP_SYNCHRONISED = "synchronised to NTP server ({server}) at stratum {stratum}"
NTP_UNSYNCHRONISED = "unsynchronised"

# system-history.log lines (format inferred; parsers stay tolerant)
HISTORY_INSTALL = "{stamp} | root: Install {file} {outcome}"
HISTORY_BOOT = "{stamp} | root: Boot {version} Start"
HISTORY_STAMP_FORMAT = "%m/%d/%Y %H:%M:%S"

# RisPort70 rate limit fault (Cisco's typo kept)
RIS_RATE_FAULT = (
    "AxisFault: Exceeded allowed rate for Reatime information. Current allowed rate for "
    "realtime information is {rate} requests per minute."
)
AXL_MEMORY_FAULT = (
    "Maximum AXL Memory Allocation Consumed. Please retry once requests in progress have completed"
)

# Service names
SVC_DB = "A Cisco DB"
SVC_DB_REPLICATOR = "A Cisco DB Replicator"
SVC_AXL = "Cisco AXL Web Service"
SVC_CALLMANAGER = "Cisco CallManager"
SVC_CTIMANAGER = "Cisco CTIManager"
SVC_DBL_MONITOR = "Cisco Database Layer Monitor"
SVC_RIS = "Cisco RIS Data Collector"
SVC_TFTP = "Cisco Tftp"
SVC_TOMCAT = "Cisco Tomcat"

# Reason texts after two spaces in `utils service list`, and Control Center reason codes.
REASON_NOT_ACTIVATED = "Service Not Activated"
REASON_OUT_OF_SERVICE = "Commanded Out of Service"
# Not deliberate: the service is down (reference 9.3; Control Center reason code -1019).
REASON_COMPONENT_NOT_RUNNING = "Component is not running"
REASON_CODES = {
    REASON_NOT_ACTIVATED: -1068,
    REASON_OUT_OF_SERVICE: -1069,
    REASON_COMPONENT_NOT_RUNNING: -1019,
}

REPLICATION_STATES = {
    0: "Initializing",
    1: "Number of replicates not correct",
    2: "Setup Completed",
    3: "Tables Suspect",
    4: "Setup Failed / Dropped",
}

# set cli session timeout MINUTES asks Continue (y/n)? (reference 9.6); the other lines
# are inferred wording.
SESSION_TIMEOUT_CONTINUE = "Continue (y/n)?"
SESSION_TIMEOUT_NEW_ONLY = (
    "The new session timeout applies to new CLI sessions; sessions already open keep theirs."
)
SESSION_TIMEOUT_SHOW = "CLI session timeout: {minutes} minutes"  # (inferred)
SESSION_TIMED_OUT = "CLI session timed out"  # (inferred)

# What to do about a stuck upgrade framework (reference 9.5, Cisco's upgrade guide).
STUCK_FRAMEWORK_REMEDY = (
    "Cisco: leave any open wizard with q and run `utils system upgrade cancel`, and make "
    "sure no upgrade or DRS task is running; a framework left stuck by an interrupted COP "
    "install (cancel answers that a COP install cannot be canceled) clears only with a "
    "reboot of the node (utils system restart); then resume"
)

# ----- lab SSH side: further texts (layouts of show/utils outputs; inferred where marked)
PAGINATION_ON = "Automatic pagination is turned on"  # (inferred)
FILE_VIEW_PAGER = (
    "options: q=quit, n=next, p=prev, b=begin, e=end (lines {first} - {last} of {total}) :"
)
MENU_QUIT = "q) quit"
UPGRADE_STATUS = "Upgrade status: {status}"
UPGRADE_STATUS_FILE = "Upgrade file: {file}"
UPGRADE_STATUS_LOG = "Upgrade log: {log}"
SHOW_MYSELF = (
    "Machine Name    : {host}\r\n"
    "account name    : {account}\r\n"
    "privilege level : 4\r\n"
    "command count disabled : false\r\n"
)
PRIMARY_NODE = "Primary Node ={value}"  # "true" on the publisher (inferred for subscribers)
CLUSTER_ROW = "{ip} {fqdn} {host} {role} callmanager {dbrole} {auth}"
PRODUCT_CALLMANAGER = "callmanager"  # show network cluster's product column
PRODUCT_IM_PRESENCE = "cups"  # an IM and Presence node there (inferred spelling)
CLUSTER_AUTH_PUB = "authenticated"
CLUSTER_AUTH_SUB = "authenticated using TCP since {since}"
CLUSTER_NOT_AUTH = "Not Authenticated"  # (inferred) a node that is down
CLUSTER_TABLE_HEAD = "Server Table (processnode) Entries\r\n----------------------------------"
SUCCESSFUL = "Successful"
DBREPL_SERVER_TIME = "Server Time: {time}"
DBREPL_SINGLE_NODE = (
    "Runtime state cannot be performed on a cluster with a single active node; aborting operation"
)
# The replication status check's header (reference 9.4); the in-progress wording is a
# CUCM 14 transcript's (`in PROGRESS. Checked 680 tables out of 749`), which also names
# the result file while the check runs.
DBREPL_STATUS_STARTED = "Cluster Replication State: Replication status command started at: {at}"
DBREPL_STATUS_COMPLETED = (
    "     Replication status command COMPLETED {total} tables checked out of {total}"
)
DBREPL_STATUS_IN_PROGRESS = (
    "     Replication status command in PROGRESS. Checked {checked} tables out of {total}"
)
DBREPL_STATUS_FILE = (
    "     Use 'file view activelog cm/trace/dbl/sdi/ReplicationStatus.{stamp}.out' to see the "
    "details"
)
# `utils dbreplication status` (CUCM 14 transcript; Cisco TAC: it only starts the check)
DBREPL_CHECK_STARTED = (
    "Replication status check is now running in background.\r\n"
    "Use command 'utils dbreplication runtimestate' to check its progress\r\n"
    "\r\n"
    "The final output will be in file cm/trace/dbl/sdi/ReplicationStatus.{stamp}.out\r\n"
    "\r\n"
    'Please use "file view activelog cm/trace/dbl/sdi/ReplicationStatus.{stamp}.out " '
    "command to see the output"
)
DBREPL_STATUS_DONE = (
    "     Last Completed Table: devicenumplanmapremdestmap\r\n"
    "     No Errors or Mismatches found.\r\n"
    "\r\n"
    "     Use 'file view activelog cm/trace/dbl/sdi/ReplicationStatus.{stamp}.out' to see the "
    "details"
)
DBREPL_DB_VERSION = "DB Version: ccm{version}"
DBREPL_TIMEOUT = "Repltimeout set to: 300s"
DBREPL_PROCESS = "PROCESS option set to: 1"
DBREPL_DETAILED = "Cluster Detailed View from {host} ({count} Servers):"
DBREPL_HEAD = (
    "                                PING      DB/RPC/   REPL.    Replication    "
    "REPLICATION SETUP\r\n"
    "SERVER-NAME     IP ADDRESS      (msec)    DbMon?    QUEUE    Group ID       "
    "(RTMT) & Details\r\n"
    "-----------     ----------      ------    -------   -----    -----------    "
    "------------------"
)
DBREPL_ROW = "{host:<15} {ip:<15} {ping:<9} {rpc:<9} {queue:<8} {group:<14} ({state}) {text}"
NTP_DAEMON = "ntpd (pid {pid}) is running..."
NTP_TABLE = (
    "     remote           refid      st t when poll reach   delay   offset  jitter\r\n"
    "=============================================================================="
)
NTP_PEER = "{mark}{server:<15} .GPS.            2 u  101  128  {reach}    0.358    0.021   0.040"
NTP_SYNC_DETAIL = "   time correct to within 21 ms\r\n   polling server every 128 s"
NTP_UNSYNC_DETAIL = "  time server re-starting\r\n   polling server every 64 s"
NTP_CURRENT_TIME = "Current time in UTC is : {time}"
# utils disaster_recovery status backup (layout inferred but for the no-backup message)
DRS_NO_STATUS = "drfCliMsg: No backup status available"
DRS_STATUS = "Status: {status} :{summary}"
DRS_COMPLETED = "Backup Completed..."
DRS_FAILED = "Backup Failed..."
DRS_TAR = "Tar Filename: {stamp}.tar"
DRS_TAR_STAMP_FORMAT = "%Y-%m-%d-%H-%M-%S"
DRS_LOCATION = "Storage Location: NETWORK"
DRS_OPERATION = "Operation: backup"
DRS_PERCENT = "Percentage Complete: 100"
DRS_COMPONENT = (
    "UCM {host} CCMDB {status} {date} activelog/platform/drf/log/{stamp}_b_{host}_ucm_ccmdb.log"
)
# show status (layout inferred from real 11.5/12.5 output; the labels are what is read)
STATUS_HOST = "Host Name          : {host}"
STATUS_PRODUCT = "Product Ver        : {version}"
STATUS_UPTIME = " {time} up {since},  1 user,  load average: 0.21, 0.19, 0.18"  # Linux uptime
# show timezone config (inferred wording, reference 9.6)
TIMEZONE_CURRENT = "Current timezone: {zone}"
TIMEZONE_VERSION = "Timezone version: 2024a"
