# The campaign fixtures of the assessment tests: the seed Yunmeng policy run by county A's bureau.
from tests.assessment.conftest import addresses, campaign, open_campaign, sheet, yunmeng  # noqa: F401
from tests.assessment.test_pages_at_scale import town_a2  # noqa: F401
