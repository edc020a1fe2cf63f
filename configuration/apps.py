from django.apps import AppConfig


class ConfigurationConfig(AppConfig):
    name = "configuration"
    verbose_name = "Configuration"

    def ready(self) -> None:
        from django.test.signals import setting_changed

        from configuration.selectors import config_cache_clear

        # The defaults come from Django settings: a test's override must show at once.
        setting_changed.connect(config_cache_clear, dispatch_uid="configuration_cache_clear")
