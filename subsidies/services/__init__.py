"""Writes of the subsidies app, one module per workflow.

claims: filing a claim against an entitlement, its papers and account, submission, review,
refusal and reopening. rosters: the placement roster (岗位推荐成功花名册) and its template.
payee_notice: the public list of payees before approval. payouts: approval against a fund's
budget and the payment, once. Amounts are never worked out here: a claim carries the amount of
the entitlement it was filed against (`assessment.services.entitlements`).
"""
