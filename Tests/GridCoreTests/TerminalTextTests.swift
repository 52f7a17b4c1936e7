import GridCore
import Testing

@Suite struct TerminalTextTests {
  @Test func plainTextIsUnchanged() {
    #expect(
      TerminalText.escaped("camera 3 ('pi-kitchen' from tcp://10.0.0.2:5555) — ok")
        == "camera 3 ('pi-kitchen' from tcp://10.0.0.2:5555) — ok")
  }

  @Test func controlAndBidiCharactersAreWrittenOut() {
    #expect(TerminalText.escaped("a\u{1B}]0;t\u{07}b") == #"a\x1B]0;t\x07b"#)
    #expect(TerminalText.escaped("x\ngridstitch: forged") == #"x\x0Agridstitch: forged"#)
    #expect(TerminalText.escaped("nul\u{00}del\u{7F}c1\u{9B}") == #"nul\x00del\x7Fc1\x9B"#)
    #expect(TerminalText.escaped("abc\u{202E}fed\u{2066}") == #"abc\u{202E}fed\u{2066}"#)
    #expect(TerminalText.escaped("tab\tcr\r") == #"tab\x09cr\x0D"#)
  }
}
