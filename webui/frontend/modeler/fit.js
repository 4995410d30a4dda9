// Show the whole diagram with a margin around it (fit-viewport alone may cut the pool's edge).
const MARGIN = 30;

export default function fitDiagram(canvas) {
  canvas.resized();
  const { inner } = canvas.viewbox();
  if (!inner.width || !inner.height) return;
  canvas.viewbox({ x: inner.x - MARGIN, y: inner.y - MARGIN,
    width: inner.width + 2 * MARGIN, height: inner.height + 2 * MARGIN });
}
