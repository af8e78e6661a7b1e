/**
 * Compiler flags every build of the daemon shares (scripts/build-binary.ts, the VM test build in
 * test/vm/compile.ts), so a test binary is built as the shipped one is.
 */

/**
 * Packages bundled code mentions but that are not installed and not needed: dbus-next's optional
 * native helpers (X11 session-bus lookup, usocket for abstract sockets and fd passing); dbus-next falls
 * back to node:net for unix:path= bus addresses.
 */
export const EXTERNAL_FLAGS: readonly string[] = ["--external", "x11", "--external", "usocket"];

/**
 * Chunks instead of one module: each process evaluates only the chunks its role imports (a VRRP child
 * neither the configuration parser nor the parent's code), which measured 0.5-0.9 MiB less anonymous
 * memory and ~1 MiB fewer bytecode pages per process, and less CPU per start (docs/design.md, Footprint).
 */
export const SPLIT_FLAGS: readonly string[] = ["--splitting"];
