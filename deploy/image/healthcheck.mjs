// The image's HEALTHCHECK: GET /healthz of the daemon in this container. The image has no
// shell or curl, so node does it. FLOTILLA_LISTEN may name 0.0.0.0 or [::], which are not
// addresses to connect to; the daemon answers on loopback then.
const listen = process.env.FLOTILLA_LISTEN ?? '127.0.0.1:9797';
const match = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(listen);
if (!match) {
  console.error(`healthcheck: cannot read FLOTILLA_LISTEN=${listen}`);
  process.exit(1);
}
const given = match[1] ?? match[2] ?? '';
const host = given === '' || given === '0.0.0.0' ? '127.0.0.1' : given === '::' ? '[::1]' : given.includes(':') ? `[${given}]` : given;
try {
  const res = await fetch(`http://${host}:${match[3]}/healthz`, { signal: AbortSignal.timeout(3000) });
  process.exit(res.ok ? 0 : 1);
} catch (err) {
  console.error(`healthcheck: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
