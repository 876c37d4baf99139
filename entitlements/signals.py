"""Domain signals of entitlements, sent INSIDE the transaction of the change.

`contract_renewed(contract_id, deployment_id, plan_id)`: a contract got a new term. The
tickets app (a higher layer) re-decides the service-level policy of the deployment's open
tickets in the same transaction.
"""

from django.dispatch import Signal

contract_renewed = Signal()
