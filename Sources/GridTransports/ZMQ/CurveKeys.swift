import GridCore
import GridPosix
import GridZMQ

/// CURVE key files (`gridstitch keygen`): NAME.key holds the secret key (mode 0600), NAME.pub the
/// public key, each 40 characters of Z85 and a newline.
public enum CurveKeys {
  /// Writes NAME.key and NAME.pub in `folder`, refusing to replace either.
  public static func generate(name: String, folder: String) throws(GridError) -> (
    secret: String, public: String
  ) {
    // A name becomes two file names and appears in lines: letters, digits, '.', '-' and '_'
    // only, never a hidden file.
    let allowed = name.unicodeScalars.allSatisfy {
      $0.isASCII
        && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0))
    }
    guard !name.isEmpty, name.utf8.count <= 64, allowed, !name.hasPrefix(".") else {
      throw .usage(
        "keygen '\(name)' is not accepted: name the key with 1 to 64 letters, digits, '.', '-' or '_', "
          + "not starting with '.'")
    }
    guard ZMQContext.has("curve") else {
      throw .runtime("this libzmq (\(ZMQContext.version)) was built without CURVE: it cannot make keys")
    }
    let pair: ZMQCurveKeyPair
    do { pair = try ZMQCurveKeyPair.generate() } catch { throw .runtime("\(error)") }
    let secretPath = folder + "/" + name + ".key"
    let publicPath = folder + "/" + name + ".pub"
    do {
      try FileSystem.makeDirectories(folder)
    } catch {
      throw .runtime("cannot make \(folder): \(error)")
    }
    do {
      try FileSystem.createExclusive(secretPath, mode: 0o600, bytes: Array((pair.secretKey + "\n").utf8))
      do {
        try FileSystem.createExclusive(publicPath, mode: 0o644, bytes: Array((pair.publicKey + "\n").utf8))
      } catch {
        FileSystem.remove(secretPath)
        throw error
      }
    } catch {
      throw .runtime("\(error)")
    }
    return (secretPath, publicPath)
  }

  /// The key pair of the secret key in `path`; the file must not be readable by others, and it
  /// must not be a public key: not a `*.pub`, not the text of a `*.pub` beside it, and where
  /// keygen's `NAME.pub` sits beside `NAME.key`, its public key must be that one.
  public static func secret(at path: String) throws(GridError) -> ZMQCurveKeyPair {
    guard !path.hasSuffix(".pub") else {
      throw .usage("\(path) is a public key (*.pub): give the secret key, NAME.key (gridstitch keygen)")
    }
    if let mode = FileSystem.permissions(path), mode & 0o077 != 0 {
      throw .usage(
        "\(path) is readable by others (mode \(String(mode, radix: 8))): a secret key must be 0600 (chmod 600)"
      )
    }
    let text = try keyText(at: path)
    guard let pair = ZMQCurveKeyPair(secretKey: text) else {
      throw .usage("\(path) is not a CURVE secret key: expected 40 characters of Z85 (gridstitch keygen)")
    }
    let (folder, file) = split(path)
    for name in FileSystem.list(folder) where name.hasSuffix(".pub") {
      if (try? keyText(at: folder + "/" + name)) == text {
        throw .usage(
          "\(path) holds the public key \(name): give the secret key, NAME.key (gridstitch keygen)")
      }
    }
    if file.hasSuffix(".key"), let own = try? publicKey(at: folder + "/" + file.dropLast(4) + ".pub"),
      own != pair.publicKey
    {
      throw .usage("\(path) is not the secret key of \(file.dropLast(4)).pub beside it")
    }
    return pair
  }

  /// The folder and the file name of `path`.
  private static func split(_ path: String) -> (folder: String, file: String) {
    guard let slash = path.lastIndex(of: "/") else { return (".", path) }
    return (
      slash == path.startIndex ? "/" : String(path[..<slash]), String(path[path.index(after: slash)...])
    )
  }

  public static func publicKey(at path: String) throws(GridError) -> String {
    let text = try keyText(at: path)
    guard ZMQCurveKeyPair.isKey(text) else {
      throw .usage("\(path) is not a CURVE public key: expected 40 characters of Z85 (gridstitch keygen)")
    }
    return text
  }

  /// Every `*.pub` in `folder` that holds a public key, as key bytes (at least one), and what
  /// was skipped, with why: hidden files, and a `NAME.pub` that is not the public key of the
  /// `NAME.key` beside it (a secret key saved under a public name).
  public static func allowed(in folder: String) throws(GridError) -> (keys: Set<[UInt8]>, skipped: [String]) {
    guard FileSystem.isDirectory(folder) else {
      throw .usage("--allow \(folder) is not a folder: give the folder of the cameras' *.pub keys")
    }
    var keys: Set<[UInt8]> = []
    var skipped: [String] = []
    let names = FileSystem.list(folder)
    for name in names.sorted() where name.hasSuffix(".pub") {
      guard !name.hasPrefix(".") else {
        skipped.append("\(name) (hidden)")
        continue
      }
      let text = try publicKey(at: folder + "/" + name)
      let stem = name.dropLast(4)
      if names.contains(stem + ".key"), let secret = try? keyText(at: folder + "/" + stem + ".key"),
        let pair = ZMQCurveKeyPair(secretKey: secret), pair.publicKey != text
      {
        skipped.append("\(name) (not the public key of \(stem).key: a secret key?)")
        continue
      }
      if let bytes = ZMQCurveKeyPair.decode(text) { keys.insert(bytes) }
    }
    guard !keys.isEmpty else {
      throw .usage(
        "--allow \(folder) holds no *.pub key: no camera could join"
          + (skipped.isEmpty ? "" : " (skipped: \(skipped.joined(separator: ", ")))"))
    }
    return (keys, skipped)
  }

  private static func keyText(at path: String) throws(GridError) -> String {
    do {
      let bytes = try FileSystem.readRegularFile(path, limit: 4096)
      return String(decoding: bytes, as: UTF8.self).trimmingWhitespace()
    } catch {
      throw .usage("cannot read key \(error)")
    }
  }
}

extension String {
  fileprivate func trimmingWhitespace() -> String {
    var text = Substring(self)
    while let last = text.last, last.isWhitespace { text = text.dropLast() }
    while let first = text.first, first.isWhitespace { text = text.dropFirst() }
    return String(text)
  }
}

extension ZMQRemoteHub.Security {
  /// A hub's CURVE keys: its secret key from the file `secret` (`--curve-secret`) and the public
  /// keys it admits from the folder `allow` (`--allow`); `skipped` names what the folder held
  /// that was not admitted, and why.
  public static func load(secret: String, allow: String) throws(GridError) -> (
    security: Self, skipped: [String]
  ) {
    let allowed = try CurveKeys.allowed(in: allow)
    return (
      Self(secretKey: try CurveKeys.secret(at: secret).secretKey, allowed: allowed.keys), allowed.skipped
    )
  }
}
