// The response pam_exec hands over with expose_authtok: the whole of stdin,
// without a newline. Bounded, since anything may arrive there.

/** All of stdin as UTF-8; more than `limit` bytes is refused and stdin let go. */
export function readStdinResponse(limit: number, stdin: NodeJS.ReadStream = process.stdin): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stdin.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stdin.destroy();
        reject(new Error(`input longer than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    stdin.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stdin.once('error', reject);
  });
}
