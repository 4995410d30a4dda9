// Dashboard charts: each <canvas data-chart="ID"> draws the JSON chart config in <script id="ID">.
import Chart from 'chart.js/auto';

document.querySelectorAll('canvas[data-chart]').forEach((canvas) => {
  const config = JSON.parse(document.getElementById(canvas.dataset.chart).textContent);
  config.options = { responsive: true, maintainAspectRatio: false, ...config.options };
  new Chart(canvas, config);
});
