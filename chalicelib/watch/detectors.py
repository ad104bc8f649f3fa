"""The other detectors an attacker switches off first, as CloudTrail records the calls that do it.

event name → (event source, the detector, what is no longer seen, what the call did). Plain
data: ``app.py`` builds the routing from it at import, and the ``detector-disabled`` rule judges by it.
"""

from __future__ import annotations

_GUARDDUTY = ("guardduty.amazonaws.com", "GuardDuty", "GuardDuty threat findings (credential exfiltration, "
              "crypto-mining, CloudTrail logging disabled)")
_CONFIG = ("config.amazonaws.com", "AWS Config", "the configuration history and the Config rules' compliance "
           "evaluations")
_RESOLVER = ("route53resolver.amazonaws.com", "Route 53 Resolver query logging")
DETECTOR_CALLS: dict[str, tuple[str, str, str, str]] = {
    "DeleteDetector": (*_GUARDDUTY, "deleted the GuardDuty detector"),
    "UpdateDetector": (*_GUARDDUTY, "disabled the GuardDuty detector"),
    "DisassociateFromMasterAccount": (*_GUARDDUTY, "left the GuardDuty administrator account"),
    "DisassociateFromAdministratorAccount": (*_GUARDDUTY, "left the GuardDuty administrator account"),
    # GuardDuty left on but told to look away: a suppression filter that archives what it matches as it
    # arrives, or a trusted IP list (no finding for those addresses). Judged only when they do that.
    "CreateFilter": ("guardduty.amazonaws.com", "GuardDuty", "the GuardDuty findings the filter matches (archived "
                     "as they arrive)", "added a GuardDuty suppression filter"),
    "UpdateFilter": ("guardduty.amazonaws.com", "GuardDuty", "the GuardDuty findings the filter matches (archived "
                     "as they arrive)", "made a GuardDuty filter suppress"),
    "CreateIPSet": ("guardduty.amazonaws.com", "GuardDuty", "GuardDuty findings for calls from the listed addresses",
                    "activated a GuardDuty trusted IP list"),
    "UpdateIPSet": ("guardduty.amazonaws.com", "GuardDuty", "GuardDuty findings for calls from the listed addresses",
                    "activated a GuardDuty trusted IP list"),
    "StopConfigurationRecorder": (*_CONFIG, "stopped the Config recorder"),
    "DeleteConfigurationRecorder": (*_CONFIG, "deleted the Config recorder"),
    "DeleteDeliveryChannel": (*_CONFIG, "deleted the Config delivery channel"),
    # The recorder left running but told to record fewer resource types (judged only when it narrows).
    "PutConfigurationRecorder": (*_CONFIG, "narrowed the Config recorder"),
    "DisableSecurityHub": ("securityhub.amazonaws.com", "Security Hub", "Security Hub's aggregated findings and "
                           "standards checks", "disabled Security Hub"),
    "DeleteAnalyzer": ("access-analyzer.amazonaws.com", "IAM Access Analyzer", "external and unused access "
                       "findings", "deleted an IAM Access Analyzer analyzer"),
    "DeleteFlowLogs": ("ec2.amazonaws.com", "VPC flow logs", "network flows of the VPCs, subnets or interfaces "
                       "concerned", "deleted VPC flow logs"),
    "DeleteResolverQueryLogConfig": (*_RESOLVER, "DNS queries from the VPCs concerned",
                                     "deleted a Resolver query log config"),
    "DisassociateResolverQueryLogConfig": (*_RESOLVER, "DNS queries from the VPC concerned",
                                           "detached a VPC from Resolver query logging"),
}
TRAIL_SOURCE = "cloudtrail.amazonaws.com"
TRAIL_CALLS = ("StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors", "PutAdvancedEventSelectors",
               "DeleteEventDataStore", "StopEventDataStoreIngestion")
ORGANIZATION_SOURCE = "organizations.amazonaws.com"
ORGANIZATION_CALLS = ("LeaveOrganization", "RemoveAccountFromOrganization", "DeleteOrganization")
