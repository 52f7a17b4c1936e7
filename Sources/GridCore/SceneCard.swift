/// A colourful, deterministic test card, the scene the cameras look at.
///
/// It is busy on purpose: every 320×240 window sees different content (a labelled grid of
/// patterned cells, a ringed target, colour bars, a grey ramp and a resolution sweep), so a
/// misplaced, stale or swapped tile is visible at a glance in the stitched grid.
public enum SceneCard {
  public static let defaultWidth = 2048
  public static let defaultHeight = 1536

  /// Side of one labelled grid cell, in pixels.
  static let cellSize = 128

  /// Saturated colours, far apart in hue, for squares, stripes and rings.
  private static let palette: [(UInt8, UInt8, UInt8)] = [
    (230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200),
    (245, 130, 48), (145, 30, 180), (70, 240, 240), (240, 50, 230),
    (210, 245, 60), (250, 190, 212), (0, 128, 128), (220, 190, 255),
    (170, 110, 40), (255, 250, 200), (128, 0, 0), (170, 255, 195),
  ]

  /// SMPTE-style colour bars at 100%: white, yellow, cyan, green, magenta, red, blue, black.
  private static let bars: [(UInt8, UInt8, UInt8)] = [
    (255, 255, 255), (255, 255, 0), (0, 255, 255), (0, 255, 0),
    (255, 0, 255), (255, 0, 0), (0, 0, 255), (0, 0, 0),
  ]

  /// Renders the card as RGB (3 channels), row-major; empty if either side is not positive.
  ///
  /// Layout, top to bottom: a rainbow sky (hue across, brightness down), a body of
  /// `cellSize` cells labelled like a spreadsheet (columns A, B, …, rows 1, 2, …) with a
  /// ringed target in the middle, then colour bars over a grey ramp and a resolution sweep.
  public static func render(width: Int, height: Int) -> [UInt8] {
    guard width > 0, height > 0 else { return [] }
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    let skyEnd = height / 6
    let barsStart = height - height / 6
    pixels.withUnsafeMutableBufferPointer { out in
      for y in 0..<height {
        let row = y * width * 3
        if y < skyEnd {
          renderSky(out, row: row, y: y, width: width, skyEnd: skyEnd)
        } else if y >= barsStart {
          renderBars(out, row: row, y: y - barsStart, width: width, bandHeight: height - barsStart)
        } else {
          renderBody(out, row: row, y: y, width: width, top: skyEnd, bottom: barsStart)
        }
      }
    }
    pixels.withUnsafeMutableBytes { raw in
      labelCells(raw, width: width, top: skyEnd, bottom: barsStart)
    }
    return pixels
  }

  /// A fully saturated hue; `hue` runs over 0..<1536 (six sectors of 256).
  @inline(__always)
  private static func hueColour(_ hue: Int) -> (Int, Int, Int) {
    let f = hue & 255
    switch (hue >> 8) % 6 {
    case 0: return (255, f, 0)
    case 1: return (255 - f, 255, 0)
    case 2: return (0, 255, f)
    case 3: return (0, 255 - f, 255)
    case 4: return (f, 0, 255)
    default: return (255, 0, 255 - f)
    }
  }

  @inline(__always)
  private static func put(
    _ out: UnsafeMutableBufferPointer<UInt8>, _ index: Int, _ r: Int, _ g: Int, _ b: Int
  ) {
    out[index] = UInt8(truncatingIfNeeded: r)
    out[index + 1] = UInt8(truncatingIfNeeded: g)
    out[index + 2] = UInt8(truncatingIfNeeded: b)
  }

  /// Hue across, dark at the top and pale at the horizon, with a white horizon line.
  private static func renderSky(
    _ out: UnsafeMutableBufferPointer<UInt8>, row: Int, y: Int, width: Int, skyEnd: Int
  ) {
    if y >= skyEnd - 3 {
      for x in 0..<width { put(out, row + x * 3, 255, 255, 255) }
      return
    }
    let value = 70 + 185 * y / max(skyEnd, 1)  // brightness, 70…255
    let pale = 120 * y / max(skyEnd, 1)  // mix towards white near the horizon
    for x in 0..<width {
      let (r, g, b) = hueColour(x * 1536 / width)
      put(
        out, row + x * 3,
        (r + (255 - r) * pale / 255) * value / 255,
        (g + (255 - g) * pale / 255) * value / 255,
        (b + (255 - b) * pale / 255) * value / 255)
    }
  }

  /// Patterned cells with dark borders, and a ringed target centred in the body.
  private static func renderBody(
    _ out: UnsafeMutableBufferPointer<UInt8>, row: Int, y: Int, width: Int, top: Int, bottom: Int
  ) {
    let cy = (y - top) / cellSize
    let ly = (y - top) % cellSize
    let centreX = width / 2
    let centreY = (top + bottom) / 2
    let radius = min(width, bottom - top) * 2 / 5
    let dy = y - centreY
    let dy2 = dy * dy
    let radius2 = radius * radius
    var x = 0
    while x < width {
      let cx = x / cellSize
      let cellEnd = min((cx + 1) * cellSize, width)
      let kind = (cx + 2 * cy) % 4
      let (pr, pg, pb) = palette[(cx * 5 + cy * 3) % palette.count]
      let (qr, qg, qb) = palette[(cx * 5 + cy * 3 + 7) % palette.count]
      while x < cellEnd {
        let index = row + x * 3
        let lx = x - cx * cellSize
        let dx = x - centreX
        let d2 = dx * dx + dy2
        if d2 < radius2 {
          // Target: palette rings 24 px wide with dark gaps, white bullseye and crosshair.
          let r = Int(Float(d2).squareRoot())
          if r < 12 || dx * dx <= 2 || dy2 <= 2 {
            put(out, index, 255, 255, 255)
          } else if r % 24 < 4 {
            put(out, index, 16, 16, 16)
          } else {
            let (rr, rg, rb) = palette[(r / 24) % palette.count]
            put(out, index, Int(rr), Int(rg), Int(rb))
          }
        } else if lx < 3 || ly < 3 {
          put(out, index, 20, 20, 20)
        } else {
          switch kind {
          case 0:
            // A square with a white-then-black border on a dark hue gradient.
            let inset = min(lx, ly, cellSize - 1 - lx, cellSize - 1 - ly)
            if inset >= 24 {
              put(out, index, Int(pr), Int(pg), Int(pb))
            } else if inset >= 20 {
              put(out, index, 0, 0, 0)
            } else if inset >= 16 {
              put(out, index, 255, 255, 255)
            } else {
              let (r, g, b) = hueColour((x + y) * 3 % 1536)
              put(out, index, r / 3, g / 3, b / 3)
            }
          case 1:
            // Diagonal stripes: a palette colour against black or white, whichever contrasts.
            if (x + y) / 12 % 2 == 0 {
              put(out, index, Int(pr), Int(pg), Int(pb))
            } else if Int(pr) + Int(pg) + Int(pb) > 450 {
              put(out, index, 24, 24, 24)
            } else {
              put(out, index, 245, 245, 245)
            }
          case 2:
            // A 16 px checkerboard of two palette colours.
            if (lx / 16 + ly / 16) % 2 == 0 {
              put(out, index, Int(pr), Int(pg), Int(pb))
            } else {
              put(out, index, Int(qr), Int(qg), Int(qb))
            }
          default:
            // Concentric rings around the cell centre, on black.
            let ex = lx - cellSize / 2
            let ey = ly - cellSize / 2
            let r = Int(Float(ex * ex + ey * ey).squareRoot())
            if r % 12 < 6 {
              put(out, index, Int(qr), Int(qg), Int(qb))
            } else {
              put(out, index, 0, 0, 0)
            }
          }
        }
        x += 1
      }
    }
  }

  /// Colour bars over a grey ramp (left half) and a resolution sweep (right half).
  private static func renderBars(
    _ out: UnsafeMutableBufferPointer<UInt8>, row: Int, y: Int, width: Int, bandHeight: Int
  ) {
    let barsEnd = bandHeight * 2 / 3
    if y < 3 || (y >= barsEnd && y < barsEnd + 3) {
      for x in 0..<width { put(out, row + x * 3, 20, 20, 20) }
      return
    }
    if y < barsEnd {
      for x in 0..<width {
        let (r, g, b) = bars[x * bars.count / width]
        put(out, row + x * 3, Int(r), Int(g), Int(b))
      }
      return
    }
    let half = width / 2
    for x in 0..<width {
      if x < half {
        let grey = x * 256 / max(half, 1)
        put(out, row + x * 3, grey, grey, grey)
      } else {
        // Four bursts of black/white lines, 16, 8, 4 then 2 pixels per period.
        let burst = min((x - half) * 4 / max(width - half, 1), 3)
        let period = 16 >> burst
        let level = (x - half) % period < period / 2 ? 255 : 0
        put(out, row + x * 3, level, level, level)
      }
    }
  }

  /// Spreadsheet-style names (A1, B1, …) in each body cell's top-left corner.
  private static func labelCells(
    _ raw: UnsafeMutableRawBufferPointer, width: Int, top: Int, bottom: Int
  ) {
    var cy = 0
    while top + cy * cellSize < bottom {
      for cx in 0..<(width + cellSize - 1) / cellSize {
        // Clipped at the body's bottom so labels never spill into the colour bars.
        BitmapFont.draw(
          "\(columnName(cx))\(cy + 1)", into: raw, width: width, height: bottom, channels: 3,
          x: cx * cellSize + 6, y: top + cy * cellSize + 6, scale: 2)
      }
      cy += 1
    }
  }

  /// A, B, …, Z, AA, AB, …: bijective base 26, as spreadsheets name columns.
  static func columnName(_ index: Int) -> String {
    var name = ""
    var rest = index + 1
    while rest > 0 {
      rest -= 1
      name.insert(Character(Unicode.Scalar(UInt8(ascii: "A") + UInt8(rest % 26))), at: name.startIndex)
      rest /= 26
    }
    return name
  }
}
