"""Local development and the `make run` demo: debug on, insecure defaults allowed."""

from .base import *  # noqa: F403
from .base import env, env_secret

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env_secret("DJANGO_SECRET_KEY", default="insecure-local-only-key-change-me")
