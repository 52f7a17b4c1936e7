import GridCore
import Testing

/// How every hub and camera line writes a duration.
@Suite struct SecondsTextTests {
  @Test(arguments: [
    (UInt64(3_000_000_000), "3"), (500_000_000, "0.5"), (1_500_000_000, "1.5"), (1_250_000_000, "1.25"),
    (1_000_000, "0.001"), (1_499_999, "0.001"), (1_500_000, "0.002"), (0, "0"), (30_050_000_000, "30.05"),
  ])
  func nanos(_ nanos: UInt64, _ text: String) {
    #expect(SecondsText.of(nanos: nanos) == text)
  }

  @Test(arguments: [(100.0, "100"), (0.3, "0.3"), (0.25, "0.25"), (2.5e-4, "0")])
  func seconds(_ seconds: Double, _ text: String) {
    #expect(SecondsText.of(seconds) == text)
  }

  @Test func whatIsNoDurationIsWrittenAsItIs() {
    #expect(SecondsText.of(-1) == "-1.0")
    #expect(SecondsText.of(.infinity) == "inf")
  }
}
