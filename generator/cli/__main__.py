"""python -m generator.cli"""

from generator.cli.app import main

main()
