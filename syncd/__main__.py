from syncd.commands.cli import main

main()
