"""deploy/kubernetes/: valid against the Kubernetes schemas (kubernetes-validate bundles them, so this
runs offline), and consistent with the app: probes on routes that behave as the probes assume, the
image's user, the Secret's keys, the budget's selector and the start-up wait."""

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from workshop.web.app import public_routes

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "deploy" / "kubernetes"
KUBERNETES = "1.30.0"  # the oldest version these manifests are meant for; every field used is in it


def _documents() -> dict[str, dict]:
    found = {}
    for path in sorted(FOLDER.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for document in yaml.safe_load_all(path.read_text()):
            found[f"{document['kind']}/{document['metadata']['name']}"] = document
    return found


def _container() -> dict:
    return _documents()["Deployment/workshop"]["spec"]["template"]["spec"]["containers"][0]


def _env() -> dict[str, dict]:
    return {entry["name"]: entry for entry in _container()["env"]}


@pytest.mark.parametrize("name", sorted(_documents()))
def test_each_manifest_is_valid_against_the_kubernetes_schemas_strictly(name):
    kubernetes_validate.validate(_documents()[name], KUBERNETES, strict=True)


def test_a_wrong_field_fails_the_validation():
    deployment = _documents()["Deployment/workshop"]
    deployment["spec"]["replicas"] = "three"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES, strict=True)
    deployment["spec"]["replicas"] = 3
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES, strict=True)


def test_the_kustomization_lists_every_manifest():
    listed = yaml.safe_load((FOLDER / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == sorted(path.name for path in FOLDER.glob("*.yaml") if path.name != "kustomization.yaml")


def test_probes_use_the_apps_health_routes_on_its_port():
    container = _container()
    paths = {route.path for route in public_routes()}
    # liveness must not follow the database (an outage would restart every pod); readiness must
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz" in paths
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz" in paths
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports["http"] == 8000 and "EXPOSE 8000" in (ROOT / "Dockerfile").read_text()
    assert _env()["WORKSHOP_METRICS"]["value"].endswith(f":{ports['metrics']}")


def test_the_startup_probe_outlasts_the_apps_wait_for_its_services():
    probe = _container()["startupProbe"]
    assert probe["periodSeconds"] * probe["failureThreshold"] > float(_env()["WORKSHOP_START_WAIT"]["value"])


def test_the_pod_runs_as_the_images_numeric_user_and_not_as_root():
    security = _documents()["Deployment/workshop"]["spec"]["template"]["spec"]["securityContext"]
    assert security["runAsNonRoot"] is True
    assert f"USER {security['runAsUser']}:{security['runAsGroup']}" in (ROOT / "Dockerfile").read_text()


def test_the_key_and_the_password_come_from_the_secret_and_the_key_is_not_logged():
    secret = _documents()["Secret/workshop-secrets"]
    env = _env()
    for name in ("WORKSHOP_KEY", "POSTGRES_PASSWORD"):
        reference = env[name]["valueFrom"]["secretKeyRef"]
        assert reference["name"] == "workshop-secrets" and reference["key"] in secret["stringData"]
    assert "$(POSTGRES_PASSWORD)" in env["WORKSHOP_DB"]["value"]
    assert "WORKSHOP_KEY_FILE" in env  # the facilitator address goes to a file, not to the log
    assert env["WORKSHOP_TRUSTED_PROXIES"]["value"] != "*"


def test_the_budget_and_the_service_select_the_deployments_pods():
    documents = _documents()
    labels = documents["Deployment/workshop"]["spec"]["template"]["metadata"]["labels"]
    budget = documents["PodDisruptionBudget/workshop"]["spec"]
    assert budget["selector"]["matchLabels"].items() <= labels.items()
    assert documents["Service/workshop"]["spec"]["selector"].items() <= labels.items()
    assert documents["Deployment/workshop"]["spec"]["replicas"] > budget["maxUnavailable"]
    assert _container()["resources"]["requests"]["memory"]


def test_every_pod_mounts_one_shared_plans_volume_where_the_app_saves_plans():
    documents = _documents()
    claim = documents["PersistentVolumeClaim/workshop-plans"]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    pod = documents["Deployment/workshop"]["spec"]["template"]["spec"]
    volume = next(volume for volume in pod["volumes"] if volume.get("persistentVolumeClaim"))
    assert volume["persistentVolumeClaim"]["claimName"] == "workshop-plans"
    mount = next(mount for mount in _container()["volumeMounts"] if mount["name"] == volume["name"])
    # The image's working folder is /data; without --plans the app saves plans in ./plans there.
    workdir = [line.split()[1] for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("WORKDIR")]
    assert mount["mountPath"] == f"{workdir[-1]}/plans" and "WORKSHOP_PLANS" not in _env()
    assert pod["securityContext"]["fsGroup"] == pod["securityContext"]["runAsGroup"]
