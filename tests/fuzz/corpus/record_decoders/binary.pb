
appinout