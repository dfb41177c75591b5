"""`python -m workbench.api DIR [--port N]`: the same as `workbench api DIR`."""

from workbench.api.cli import api

if __name__ == "__main__":
    api(prog_name="workbench api")
