# title: Containers set CPU and memory requests and a memory limit
package admission.container_resources

import rego.v1

import data.lib.k8s

wanted := [["requests", "cpu"], ["requests", "memory"], ["limits", "memory"]]

has(c, w) if c.resources[w[0]][w[1]]

violation contains {"msg": msg} if {
	some c in k8s.containers
	some w in wanted
	not has(c, w)
	msg := sprintf("[container-resources] %s: container %s sets no resources.%s.%s", [k8s.name, c.name, w[0], w[1]])
}
