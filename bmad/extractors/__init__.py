"""Pure extractors: bytes, syntax trees and commits in, metrics out. No I/O beyond reading."""
