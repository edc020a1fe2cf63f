"""A loopback emulator of the Gemini API's generateContent, for tests and demos.

Stdlib only, like publishing.xsandbox: google-genai, pointed at it with
`HttpOptions(base_url=...)`, cannot tell it from Google. It answers with a plausible post
made from the prompt, checks `x-goog-api-key`, and can switch to the failures the
generator must survive (garbage, too long, 429, timeout, 500). Control API, loopback
only: GET /_gemini/requests, GET|POST /_gemini/config, POST /_gemini/reset.
"""

from .emulator import GeminiEmulator, serve_forever
from .state import DEFAULT_API_KEY, DEFAULT_MODE, MODES, Config, is_loopback
from .writer import GARBAGE_STYLES, TOO_LONG_CHARS

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_MODE",
    "GARBAGE_STYLES",
    "MODES",
    "TOO_LONG_CHARS",
    "Config",
    "GeminiEmulator",
    "is_loopback",
    "serve_forever",
]
