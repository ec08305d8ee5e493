import sys

from promptship.cli import main

sys.exit(main())
