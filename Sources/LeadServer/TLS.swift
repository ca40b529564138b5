import NIOCore
import NIOSSL

/// TLS for the protocol port, for agents on networks the floor does not trust: the
/// server's certificate and key come from `tls_cert` / `tls_key` (PEM files). The client
/// side (`ProtocolClient.Trust`) lives with the client in LeadClient.
public enum ProtocolTLS {
    /// The server's TLS context, or nil when `tls_cert` is not set.
    /// - Throws: `ServerConfig.Invalid` naming the file that cannot be read.
    public static func serverContext(_ config: ServerConfig) throws -> NIOSSLContext? {
        guard !config.tlsCert.isEmpty else { return nil }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(config.tlsCert)
        } catch {
            throw ServerConfig.Invalid("tls_cert: cannot read a PEM certificate from \(config.tlsCert) (\(error))")
        }
        guard !chain.isEmpty else { throw ServerConfig.Invalid("tls_cert: no certificate in \(config.tlsCert)") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: config.tlsKey, format: .pem)
        } catch {
            throw ServerConfig.Invalid("tls_key: cannot read a PEM private key from \(config.tlsKey) (\(error))")
        }
        let tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw ServerConfig.Invalid("tls_cert/tls_key: \(error)")
        }
    }
}
