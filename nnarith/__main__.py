from nnarith.cli import entry

entry()
