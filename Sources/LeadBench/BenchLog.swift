import Foundation

/// Progress and result lines of `leadline bench`, on stdout, flushed at once.
public enum BenchLog {
    /// Prints one line and flushes stdout (results are read while a long run goes on).
    public static func say(_ line: String) {
        print(line)
        fflush(nil)
    }
}
