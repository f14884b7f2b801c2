// Compose `platform` (`linux/arm64`, `linux/arm/v7`) and the node's own platform from
// `docker info` (`OSType`, `Architecture`), in one vocabulary so they can be compared.
// Docker info reports the kernel's name for the architecture (`x86_64`, `aarch64`), images
// and Compose use Go's (`amd64`, `arm64`); both are normalized to Go's names.

export interface Platform {
  os: string;
  arch: string;
  variant?: string;
}

/** Kernel (uname -m) names and common aliases -> the OCI/Go architecture name. */
const ARCH_ALIASES: Readonly<Record<string, string>> = {
  x86_64: 'amd64',
  'x86-64': 'amd64',
  x64: 'amd64',
  aarch64: 'arm64',
  armv8: 'arm64',
  armv7l: 'arm',
  armv7: 'arm',
  armv6l: 'arm',
  armhf: 'arm',
  i386: '386',
  i686: '386',
  x86: '386',
  ppc64el: 'ppc64le',
};

export function normalizeArch(arch: string): string {
  const lower = arch.trim().toLowerCase();
  return ARCH_ALIASES[lower] ?? lower;
}

export type PlatformParse = { ok: true; platform: Platform; text: string } | { ok: false; message: string };

/** `os/arch[/variant]`, as Compose and `docker run --platform` take it. */
export function parsePlatform(text: string): PlatformParse {
  const parts = text.trim().toLowerCase().split('/');
  const [os, arch, variant] = parts;
  const word = /^[a-z0-9_.-]+$/;
  if (parts.length < 2 || parts.length > 3 || !parts.every((p) => word.test(p))) {
    return { ok: false, message: `platform ${JSON.stringify(text)} is not of the form os/arch[/variant], such as linux/amd64 or linux/arm64` };
  }
  const platform: Platform = { os: os as string, arch: normalizeArch(arch as string), ...(variant !== undefined ? { variant } : {}) };
  return { ok: true, platform, text: formatPlatform(platform) };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.arch, ...(p.variant !== undefined ? [p.variant] : [])].join('/');
}

/**
 * Whether a node of `os`/`arch` runs images of `wanted`. The variant is not compared:
 * `docker info` does not report one (an arm64 node says only `aarch64`).
 */
export function platformMatches(wanted: Platform, node: { os?: string; arch?: string }): boolean {
  return (node.os === undefined || node.os === wanted.os) && (node.arch === undefined || node.arch === wanted.arch);
}
