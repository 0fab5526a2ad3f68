# id: K8S-003
# title: Pods mount no hostPath volume
# description: Checks every Kubernetes workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) (manifests). Expected: Pods mount no hostPath volume. Use emptyDir, a PersistentVolumeClaim or a CSI volume.
# severity: high
# remediation: Use emptyDir, a PersistentVolumeClaim or a CSI volume.
# fix: volumes:
# fix:   - name: data
# fix:     emptyDir: {}
# references: CIS Kubernetes 5.2.12; NIST CSF PR.AC-4
package posture.rules.k8s_003

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: volume %s mounts host path %s", [r.address, v.name, v.hostPath.path])} if {
	some r in lib.workloads
	some v in object.get(lib.pod_spec(r), "volumes", [])
	v.hostPath
}
