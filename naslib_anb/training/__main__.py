import sys

from naslib_anb.training.cli import main

sys.exit(main())
