// One encoder for the terminal pictures, the image files and the web's
// enrolment page, so a code scans the same from each: the lowest error
// correction (the smallest symbol; a screen is not a worn label) and no
// border, each drawer adds its own.
import { encode } from 'uqr';

/** The standard's quiet zone, in modules. */
export const QR_QUIET = 4;

/** Rows of modules (true = dark), without a quiet zone. */
export function qrModules(text: string): boolean[][] {
  return encode(text, { ecc: 'L', border: 0 }).data;
}

/**
 * The <svg> element of `text`'s code, `scale` pixels per module: dark
 * squares on a light background, with the quiet zone. `inner` goes first
 * inside it (a <title> that names the image for screen readers). Nothing of
 * `text` itself is in the drawing.
 */
export function qrSvg(text: string, scale: number, inner = ''): string {
  const rows = qrModules(text);
  const size = rows.length + 2 * QR_QUIET;
  const path = rows.flatMap((row, y) => row.flatMap((dark, x) => (dark ? [`M${x + QR_QUIET} ${y + QR_QUIET}h1v1h-1z`] : []))).join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" width="${size * scale}" height="${size * scale}" shape-rendering="crispEdges"${inner ? ' role="img"' : ''}>` +
    `${inner}<rect width="${size}" height="${size}" fill="#fff"/><path d="${path}" fill="#000"/></svg>`
  );
}
