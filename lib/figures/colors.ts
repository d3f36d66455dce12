/**
 * One colour per model, the same in every figure of a notebook: the lesson's variants get fixed,
 * mutually distinct colours (any two of them may share a comparison or the results table); any
 * other name gets a colour derived from a hash of the name, so it is stable across figures,
 * cells and kernel restarts without any shared state.
 */

/**
 * The lesson's variants. Tableau-10 hues for the IMDB runs that meet in one figure (original
 * against each of smaller, larger, l2, l1, l1l2, dropout), darker hues for the MNIST pair.
 */
export const LESSON_COLORS: Readonly<Record<string, string>> = Object.freeze({
  original: "#1f77b4",
  smaller: "#2ca02c",
  larger: "#d62728",
  tiny: "#8c564b",
  l2: "#ff7f0e",
  l1: "#9467bd",
  l1l2: "#e377c2",
  dropout: "#17becf",
  l2dropout: "#bcbd22",
  small: "#393b79",
  large: "#ad494a",
});

/**
 * Reduces a run name to its variant key: "imdb.l1l2", "L1+L2" and "l1_l2" all become "l1l2", so
 * a run named after its catalog entry keeps its colour.
 */
export function variantKey(name: string): string {
  const last = name.split(".").pop() ?? name;
  return last.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/** FNV-1a, 32 bits: small, deterministic, well spread for short strings. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** HSL (h in degrees, s and l in [0, 1]) to "#rrggbb". */
function hslToHex(h: number, s: number, l: number): string {
  const a = s * Math.min(l, 1 - l);
  const channel = (n: number): string => {
    const k = (n + h / 30) % 12;
    const value = l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(value * 255)
      .toString(16)
      .padStart(2, "0");
  };
  return `#${channel(0)}${channel(8)}${channel(4)}`;
}

/** The colour of a run in every figure: fixed for the lesson's names, a hash-derived hue otherwise. */
export function colorFor(name: string): string {
  const fixed = LESSON_COLORS[variantKey(name)];
  if (fixed !== undefined) return fixed;
  const hash = fnv1a(name);
  // Saturation and lightness stay in a band that reads on white; only the hue comes from the name.
  const hue = hash % 360;
  const saturation = 0.55 + ((hash >>> 9) % 20) / 100;
  const lightness = 0.38 + ((hash >>> 17) % 12) / 100;
  return hslToHex(hue, saturation, lightness);
}

/** "#rrggbb" → "rgba(r, g, b, alpha)", for fills and faint raw curves. */
export function withAlpha(hex: string, alpha: number): string {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (match === null) throw new Error(`withAlpha: colour must be "#rrggbb", got ${JSON.stringify(hex)}`);
  const [r, g, b] = match.slice(1).map((part) => parseInt(part, 16));
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}
