import sys

from dynplan_cli import main

sys.exit(main())
