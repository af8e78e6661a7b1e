export const VERSION = "0.1.0";
/** The -v line: which keepalived release our behaviour follows, and our own version. */
export const VERSION_LINE = `Keepalived v2.2.7 compatible (keepalived-ts ${VERSION}, Bun ${Bun.version})`;
