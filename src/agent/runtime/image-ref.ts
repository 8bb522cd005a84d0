/**
 * Docker-style image reference normalisation, as containerd reports image
 * names in container status: `nginx` → `docker.io/library/nginx:latest`,
 * `me/app:1` → `docker.io/me/app:1`, `reg:5000/app` → `reg:5000/app:latest`;
 * a digest reference keeps its digest and gets no tag.
 */
export function normalizeImage(image: string): string {
  let name = image.trim();
  let suffix = '';
  const at = name.indexOf('@');
  if (at >= 0) {
    suffix = name.slice(at);
    name = name.slice(0, at);
  }
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const hasRegistry = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasRegistry) name = `docker.io/${slash < 0 ? `library/${name}` : name}`;
  const lastPart = name.slice(name.lastIndexOf('/') + 1);
  if (!suffix && !lastPart.includes(':')) name += ':latest';
  return name + suffix;
}

/** The repository part of a normalised reference (no tag, no digest). */
export function repositoryOf(normalized: string): string {
  const at = normalized.indexOf('@');
  const noDigest = at >= 0 ? normalized.slice(0, at) : normalized;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}
