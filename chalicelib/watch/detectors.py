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
# More of the same that no always-on family routes (each name there would lengthen prod's writes pattern, at
# its quota): prod's writes family delivers them, the dev stage does not. Pacu's detection__disruption
# (Config rules and aggregators) and the other detectors' switches. Those marked in NARROWER_CALLS
# remove one check or one member, not the detector: judged one step lower.
WRITES_ONLY_DETECTOR_CALLS: dict[str, tuple[str, str, str, str]] = {
    "DeleteConfigRule": (*_CONFIG, "deleted a Config rule"),
    "DeleteConfigurationAggregator": ("config.amazonaws.com", "AWS Config", "the aggregated configuration and "
                                      "compliance of the accounts the aggregator collected", "deleted a Config "
                                      "aggregator"),
    "BatchDisableStandards": ("securityhub.amazonaws.com", "Security Hub", "the disabled standards' checks",
                              "disabled Security Hub standards"),
    "DisableImportFindingsForProduct": ("securityhub.amazonaws.com", "Security Hub", "the findings the product "
                                        "sent to Security Hub", "stopped a product's findings reaching Security Hub"),
    "CreateArchiveRule": ("access-analyzer.amazonaws.com", "IAM Access Analyzer", "the external access findings "
                          "the rule archives as they arrive", "added an IAM Access Analyzer archive rule"),
    "UpdateArchiveRule": ("access-analyzer.amazonaws.com", "IAM Access Analyzer", "the external access findings "
                          "the rule's new filter archives as they arrive", "replaced the filter of an IAM Access "
                          "Analyzer archive rule"),
    # A Security Hub control's checks switched off, one control or a batch (judged only when one goes DISABLED).
    "UpdateStandardsControl": ("securityhub.amazonaws.com", "Security Hub", "the disabled control's checks",
                               "disabled a Security Hub control"),
    "BatchUpdateStandardsControlAssociations": ("securityhub.amazonaws.com", "Security Hub", "the disabled "
                                                "controls' checks", "disabled Security Hub controls"),
    "DisableMacie": ("macie2.amazonaws.com", "Amazon Macie", "sensitive-data findings", "disabled Macie"),
    "Disable": ("inspector2.amazonaws.com", "Amazon Inspector", "vulnerability findings for the resource types "
                "disabled", "disabled Amazon Inspector scanning"),
    "DisassociateMembers": (*_GUARDDUTY[:2], "GuardDuty findings of the member accounts, at the administrator",
                            "disassociated GuardDuty member accounts"),
    "DeleteMembers": (*_GUARDDUTY[:2], "GuardDuty findings of the member accounts, at the administrator",
                      "removed GuardDuty member accounts"),
    "StopMonitoringMembers": (*_GUARDDUTY[:2], "GuardDuty findings of the member accounts, at the administrator",
                              "stopped monitoring GuardDuty member accounts"),
    "DeletePublishingDestination": (*_GUARDDUTY[:2], "GuardDuty findings exported to the destination (their "
                                    "archive beyond 90 days)", "deleted a GuardDuty findings export"),
}
NARROWER_CALLS = frozenset({"DeleteConfigRule", "CreateArchiveRule", "UpdateArchiveRule",
                            "DisableImportFindingsForProduct", "DeletePublishingDestination",
                            "UpdateStandardsControl", "BatchUpdateStandardsControlAssociations"})
TRAIL_SOURCE = "cloudtrail.amazonaws.com"
TRAIL_CALLS = ("StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors", "PutAdvancedEventSelectors",
               "DeleteEventDataStore", "StopEventDataStoreIngestion")
ORGANIZATION_SOURCE = "organizations.amazonaws.com"
ORGANIZATION_CALLS = ("LeaveOrganization", "RemoveAccountFromOrganization", "DeleteOrganization")
