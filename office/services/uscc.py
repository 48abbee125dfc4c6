"""统一社会信用代码 helpers (the checksum itself is python-stdnum's)."""
from stdnum.cn import uscc


def complete(body: str) -> str:
    """The full 18-character code for a 17-character body: append its check digit."""
    return body + uscc.calc_check_digit(body)
