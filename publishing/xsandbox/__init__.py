"""A loopback emulator of the X API v2 surface a publisher uses.

Test and demo infrastructure: it speaks X's wire format (OAuth 1.0a, JSON shapes, rate
limit headers, error bodies) so the real SDK can run against it, and it can inject faults.
See docs/xsandbox.md.
"""

from .accounts import DEMO_ACCOUNT, Account
from .config import DEFAULT_RATE_LIMITS, SandboxConfig
from .control import is_loopback
from .faults import ACTIONS as FAULT_ACTIONS
from .faults import Fault
from .routes import ENDPOINTS
from .sandbox import XSandbox, serve_forever

__all__ = [
    "DEFAULT_RATE_LIMITS",
    "DEMO_ACCOUNT",
    "ENDPOINTS",
    "FAULT_ACTIONS",
    "Account",
    "Fault",
    "SandboxConfig",
    "XSandbox",
    "is_loopback",
    "serve_forever",
]
