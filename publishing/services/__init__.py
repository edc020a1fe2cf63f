"""Publishing services: writes, named <entity>_<action>. Import from the submodules."""
