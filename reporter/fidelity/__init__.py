"""Does the setup reproduce the logged LR and stop (per epoch, per update)? Which schedule
does the log follow when no config says?"""
