"""The jobs the scripts run (select, finetune, fidelity, compare): each converts its config once, at entry."""
