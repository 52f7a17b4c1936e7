import GridCLI
import GridCore
import GridView

GridstitchMain.main(webViews: .hummingbird)
