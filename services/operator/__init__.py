"""Kopf operator for the LoyaltyProgram custom resource: one resource provisions one program.

Modules: settings (environment), manifests (pure build_* functions: program spec, Secret,
AuthorizationPolicy, status), provisioning (the gRPC calls to the five services), kube (a small
API client for the children), handlers (the kopf handlers, named <kind>_<event>).
"""
