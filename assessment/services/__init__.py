"""Writes of the assessment app, one module per workflow.

policies: installing, freezing and versioning policies. campaigns: opening a campaign,
assessors, results, the public notice and publication. sheets: self-evaluation, on-site scoring,
review, lock, correction and the Excel import. objections and rectification: their workflows.
"""
