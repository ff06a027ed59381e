import sys

from dynplan_cli import cli

sys.exit(cli())
