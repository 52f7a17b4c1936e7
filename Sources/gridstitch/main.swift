import GridCLI

GridstitchMain.main()
