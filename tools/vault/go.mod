module rotatord/tools/vault

go 1.26

require github.com/hashicorp/vault v1.21.0

require (
	github.com/godbus/dbus v4.1.0+incompatible // indirect
	github.com/gsterjov/go-libsecret v0.0.0-20161001094733-a6f4afe4910c // indirect
)
