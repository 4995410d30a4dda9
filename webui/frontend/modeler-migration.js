// The migration page: preview what migrating each chosen instance does, start the job, poll its progress.
import { getJson, pageData, postJson } from './modeler/http';
import { t } from './modeler/i18n';
import { showStatus as status } from './modeler/status';

const page = pageData('migration-page');
const $ = (selector) => document.querySelector(selector);
const form = $('#migration-form');
const OUTCOMES = () => ({ migrated: t('已迁移'), skipped: t('已拒绝'), failed: t('失败'), pending: t('等待中') });

function choice() {
  return Object.fromEntries(new FormData(form).entries());
}


function cell(content) {
  const td = document.createElement('td');
  if (Array.isArray(content)) {
    content.forEach((line) => {
      const div = document.createElement('div');
      div.textContent = line;
      td.append(div);
    });
  } else {
    td.textContent = content;
  }
  return td;
}

const taskNames = (tasks) => tasks.map((task) => task.name || task.element);
const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');

function changes(plan) {
  return [
    ...plan.timers.map((timer) => `⏱ ${timer.name || timer.element}: ${when(timer.from)} → ${when(timer.to)}`),
    ...plan.tasks.map((task) => `📅 ${task.name || task.element}: ${when(task.from)} → ${when(task.to)}`),
  ];
}

function showPreview(plans) {
  const safe = plans.filter((plan) => plan.safe).length;
  $('#migration-preview').hidden = false;
  $('#preview-summary').textContent = t('共 %(total)s 个实例：%(safe)s 个可以迁移，%(refused)s 个将被拒绝。',
    { total: plans.length, safe, refused: plans.length - safe });
  $('#preview-rows').replaceChildren(...plans.map((plan) => {
    const tr = document.createElement('tr');
    tr.className = plan.safe ? 'plan-safe' : 'plan-refused';
    const outcome = plan.safe ? [t('可以迁移')]
      : [t('拒绝'), ...plan.reasons.map((r) => r.message), ...(plan.error ? [plan.error] : [])];
    tr.append(cell(plan.business_key || plan.instance), cell(String(plan.from_version)), cell(outcome),
      cell(taskNames(plan.kept)), cell(taskNames(plan.reset)), cell(taskNames(plan.removed)),
      cell(taskNames(plan.added)), cell(changes(plan)));
    return tr;
  }));
  $('#btn-start').disabled = safe === 0;
}

async function preview() {
  status(t('正在计算预览…'));
  const { ok, data } = await postJson(page.urls.preview, choice());
  if (!ok) {
    status(data.error, 'error');
    return;
  }
  status('');
  showPreview(data.plans);
}

function showJob(job) {
  $('#migration-job').hidden = false;
  $('#job-progress').value = job.progress;
  $('#job-summary').textContent = t('状态：%(state)s；已处理 %(processed)s / %(total)s（迁移 %(migrated)s，拒绝 %(skipped)s，失败 %(failed)s）',
    { ...job, state: job.state_label }) + (job.error ? ` ${job.error}` : '');
  $('#job-rows').replaceChildren(...job.items.map((item) => {
    const tr = document.createElement('tr');
    tr.append(cell(item.business_key || item.instance), cell(item.from_version ? String(item.from_version) : '—'),
      cell(OUTCOMES()[item.state] || item.state), cell(item.reasons.map((r) => r.message)));
    return tr;
  }));
}

async function poll(url) {
  const { ok, data } = await getJson(url);
  if (!ok) {
    status(data.error, 'error');
    return;
  }
  showJob(data);
  if (data.state === 'queued' || data.state === 'running') {
    setTimeout(() => poll(url), 1000);
  } else {
    status(data.state === 'finished' ? t('迁移任务已完成。') : t('迁移任务已停止。'),
      data.state === 'finished' ? 'success' : 'error');
  }
}

async function start() {
  if (!window.confirm(t('迁移预览中可以迁移的实例？被拒绝的实例保持原版本。'))) return;
  $('#btn-start').disabled = true;
  const { ok, data } = await postJson(page.urls.start, choice());
  if (!ok) {
    status(data.error, 'error');
    return;
  }
  status(t('迁移任务 #%(job)s 已开始。', data));
  poll(data.status);
}

$('#btn-preview').addEventListener('click', preview);
$('#btn-start').addEventListener('click', start);
form.addEventListener('change', () => { $('#btn-start').disabled = true; });
if (page.job) poll(page.urls.job.replace(/0\/$/, `${encodeURIComponent(page.job)}/`));
