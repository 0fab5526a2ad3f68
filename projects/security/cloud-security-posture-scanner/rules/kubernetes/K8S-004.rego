# id: K8S-004
# title: Images are pinned, never latest
# description: Checks every Kubernetes workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) (manifests). Expected: Images are pinned, never latest. Pin images by digest (image@sha256:…).
# severity: medium
# remediation: Pin images by digest (image@sha256:…).
# fix: image: ghcr.io/acme/web@sha256:…
# checkov: CKV_K8S_14, CKV_K8S_43
# references: CIS Kubernetes 5.5.1; NIST CSF PR.DS-6
package posture.rules.k8s_004

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: container %s uses %s", [r.address, c.name, c.image])} if {
	some r in lib.workloads
	some c in lib.containers(r)
	not contains(c.image, "@sha256:")
	latest(c.image)
}

latest(image) if endswith(image, ":latest")

latest(image) if {
	parts := split(image, "/")
	not contains(parts[count(parts) - 1], ":")
}
