"""Model fields of our own."""

import json

from django.db import models


class CompactJSONField(models.TextField):
    """JSON kept as compact text (no spaces), for small values stored once per row by the hundred thousand.

    PostgreSQL's jsonb keeps every number as a `numeric` with its own header and alignment, which
    doubles the size of a sheet's packed inputs (about 560 bytes against 150 as text). The column
    is never searched inside, so text is all it needs to be. Values must be JSON-native
    (str, int, float, bool, None, list, dict), as for a JSONField without an encoder.
    """

    def from_db_value(self, value, expression, connection):
        return None if value is None else json.loads(value)

    def to_python(self, value):
        if value is None or not isinstance(value, str):
            return value
        return json.loads(value)

    def get_prep_value(self, value):
        if value is None:
            return None
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def value_to_string(self, obj):
        return self.get_prep_value(self.value_from_object(obj))
