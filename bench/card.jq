# The four design-card events, the jq way: the baseline replay must beat by 3x.
# Root console sign-in, DeleteUser, CreateAccessKey, and a failed AssumeRole* (DESIGN §5).
# Input: JSON lines of bare CloudTrail records; output: the matching records, one per line.
select(
  (.eventName == "ConsoleLogin" and .userIdentity.type == "Root")
  or .eventName == "DeleteUser"
  or .eventName == "CreateAccessKey"
  or ((.eventName | type) == "string" and (.eventName | startswith("AssumeRole")) and .errorCode != null)
)
