"""Command-line interface: ``naslib-anb <subcommand>``."""
